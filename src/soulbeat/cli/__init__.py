"""The command-line edge: parse arguments, call the service, render the result."""
