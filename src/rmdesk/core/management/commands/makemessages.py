"""makemessages without fuzzy matching: a new string starts empty (and the catalogue test
says so) instead of borrowing a neighbour's translation marked fuzzy."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
