"""What the automigrate and autoupdate commands do around their work."""

from django.core.management.base import BaseCommand, CommandError

from automigrate_cmd.api import connection_for
from automigrate_cmd.exceptions import AutomigrateError, Cancelled


class SchemaCommand(BaseCommand):
    """Connects (a one-line error if the database does not answer), runs the
    system checks, then ``run()``; our errors become one-line CommandErrors."""

    # Checks need the database; they run in handle() once it is known to answer.
    requires_system_checks = []

    def handle(self, *args, **options):
        using = options["database"]
        try:
            connection_for(using)
            if not options["skip_checks"]:
                self.check(databases=[using])
            self.run(using, options)
        except Cancelled as cancelled:
            self.stdout.write(str(cancelled))
        except AutomigrateError as error:
            raise CommandError(str(error)) from error

    def run(self, using: str, options: dict) -> None:
        raise NotImplementedError
