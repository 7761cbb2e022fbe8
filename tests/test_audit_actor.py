"""An audit entry names its actor without reloading a user that a commit has expired."""

from sqlalchemy import event

from ops.audit.services import record


def test_an_entry_after_a_commit_names_the_actor_without_reading_the_user_again(db, make_user):
    finance = make_user("finance")
    username, user_id = finance.username, finance.id
    first = record("demo.thing", object_type="x", object_id=1, actor=finance)
    db.session.commit()  # expires finance, as every service's commit does
    assert "username" not in finance.__dict__
    statements = []
    listener = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        second = record("demo.thing", object_type="x", object_id=2, actor=finance)
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    db.session.commit()
    assert [(e.user_id, e.actor) for e in (first, second)] == [(user_id, username)] * 2
    assert [s.split()[0] for s in statements] == ["INSERT"]  # the entry, and no SELECT of the user


def test_no_actor_is_the_system(db):
    entry = record("demo.thing", object_type="x", object_id=1)
    db.session.commit()
    assert (entry.user_id, entry.actor) == (None, "system")
