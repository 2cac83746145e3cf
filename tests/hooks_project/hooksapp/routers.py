class NoteRouter:
    """Notes live on the ``other`` database only; everything else on both."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "hooksapp" and model_name == "note":
            return db == "other"
        return None
