"""validate -> list -> plan -> execute -> check: the steps with their IO, executors and logs."""
