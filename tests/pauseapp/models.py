# No models: Django sends pre_migrate only to apps with a models module.
