"""Planning (pure): a config, one listing of the input and the existing tree become tasks."""
