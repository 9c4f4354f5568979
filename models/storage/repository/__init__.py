"""All SQL lives in this package. Every state change is a guarded UPDATE; zero rows changed
is an answer, not an error."""
