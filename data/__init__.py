"""Built-in standards profiles and the demo district generator."""
