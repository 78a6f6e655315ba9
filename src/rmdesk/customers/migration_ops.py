"""A migration operation for changing indexes of large tables in place on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


class InPlaceOnPostgres(migrations.SeparateDatabaseAndState):
    """``state_operations`` as the models see them; on PostgreSQL their schema effect is
    done by ``forwards`` / ``backwards`` SQL (drop an index, rename a constraint) rather
    than the generic steps, which would rebuild indexes and re-validate foreign keys of a
    table of millions of rows. Other databases apply the state operations themselves."""

    def __init__(
        self,
        *,
        state_operations: Sequence[Operation],
        forwards: Sequence[str],
        backwards: Sequence[str],
    ) -> None:
        super().__init__(state_operations=list(state_operations))
        self.forwards = tuple(forwards)
        self.backwards = tuple(backwards)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {
                "state_operations": self.state_operations,
                "forwards": self.forwards,
                "backwards": self.backwards,
            },
        )

    def _states(self, app_label: str, first: ProjectState) -> list[ProjectState]:
        states = [first]
        for operation in self.state_operations:
            state = states[-1].clone()
            operation.state_forwards(app_label, state)
            states.append(state)
        return states

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.forwards:
                schema_editor.execute(sql)
            return
        states = self._states(app_label, from_state)
        for index, operation in enumerate(self.state_operations):
            operation.database_forwards(app_label, schema_editor, states[index], states[index + 1])

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.backwards:
                schema_editor.execute(sql)
            return
        states = self._states(app_label, to_state)
        for index in reversed(range(len(self.state_operations))):
            self.state_operations[index].database_backwards(
                app_label, schema_editor, states[index + 1], states[index]
            )
