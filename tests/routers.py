"""A router that keeps one model off the ``default`` database."""


class TestRouter:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "otherapp" and model_name == "otheronly":
            return db == "other"
        return None
