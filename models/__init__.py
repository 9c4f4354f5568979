"""What things are. Three kinds, each in its own sub-package: `rules` (pure state machines and
rules), `shapes` (the documents the API and the webhooks share) and `storage` (tables,
migrations, the repository: all SQL). Settings, the clock and logging sit here."""
