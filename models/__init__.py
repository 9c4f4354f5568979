"""What things are: tables, settings, pure state machines and rules, the repository."""
