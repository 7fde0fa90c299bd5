from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = "Code tables"

    def ready(self) -> None:
        # Cache invalidation, not business logic: every save or delete of a table the claim
        # pipeline caches gives the tables a new stamp (coding.refcache).
        from coding import refcache

        refcache.connect_signals()
