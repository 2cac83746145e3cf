"""What the automigrate and autoupdate commands do around their work."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from automigrate_cmd.api import connection_for
from automigrate_cmd.exceptions import AutomigrateError, Cancelled, first_line, is_transient


class SchemaCommand(BaseCommand):
    """Connects (a one-line error if the database does not answer), runs the
    system checks, then ``run()``; our errors become one-line CommandErrors,
    and so does a database error from anywhere else in the run (a connection
    lost while content types are written)."""

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
        except DatabaseError as error:
            # Raised outside the steps that say what they left (a lock query, a
            # signal receiver's query): how far the run got is not known here.
            again = " Run the same command again to finish." if is_transient(error) else ""
            message = f"Database error on '{using}': {first_line(error)}.{again}"
            raise CommandError(message) from error

    def run(self, using: str, options: dict) -> None:
        raise NotImplementedError
