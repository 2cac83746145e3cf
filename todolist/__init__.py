"""LoopBack's TodoList tutorial as a Django app: the example for automigrate_cmd."""
