"""The store → routing core adapter on the seeded demo day, with real travel matrices, through
the planner's own path (``web.planning.build``, what every planning run uses)."""

from sqlalchemy import select

from routing import model
from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, app, db_session, seeded_db, web_area)
from web import planning
from web.adapter import seconds
from web.store import Order, Shift


def test_demo_day_becomes_a_valid_problem(app, web_area):
    with db_session(app) as session:
        orders = session.scalars(select(Order).order_by(Order.id)).all()
        orders[0].set_status("cancelled")
        orders[1].priority = 2
        orders[1].resident.regular_assistant_id = 1
        orders[2].praatje_minutes = 20
        shifts = session.scalars(select(Shift).order_by(Shift.id)).all()
        session.commit()
        with app.app_context():
            built = planning.build(session, DAY, None, None)
        day, problem = built.day_in, built.problem
        matrices = {mode: web_area.matrix(day.points, mode) for mode in model.MODES}

        assert [o.id for o in problem.orders] == [str(o.id) for o in orders[1:]]
        by_id = {o.id: o for o in problem.orders}
        assert by_id[str(orders[1].id)].rank == 1  # urgent goes first
        assert by_id[str(orders[2].id)].praatje == 20 * 60
        for stored in orders[1:]:
            core = by_id[str(stored.id)]
            assert day.points[core.location] == (round(stored.resident.lat, 7),
                                                 round(stored.resident.lon, 7))
            assert [(w.start, w.end) for w in core.windows] == [
                (seconds(s), seconds(e)) for s, e in stored.windows]
            assert core.resident == str(stored.resident.id)  # an id, never a name
            assert stored.resident.name not in repr(core)
            assert (core.pickup is None) == (stored.pickup_lat is None)
            if stored.kind == "meal":
                assert core.hot_meal and core.ride_limit == model.HOT_MEAL_MAX_RIDE
        # One matrix index per distinct place: the partners' pickups are shared.
        assert len(day.points) == len(set(day.points)) < 2 * len(problem.orders)
        first = problem.assistant("1")
        assert first.regulars == (str(orders[1].resident.id),)
        for shift in shifts:
            core = problem.assistant(str(shift.assistant_id))
            assert (core.shift.start, core.shift.end) == (seconds(shift.start),
                                                          seconds(shift.end))
            assert core.break_.duration == shift.break_minutes * 60
            assert (core.break_.window.start, core.break_.window.end) == (
                seconds(shift.break_from), seconds(shift.break_until))
            assert core.capacity == shift.assistant.capacity
            assert day.points[core.start] == (round(shift.start_lat, 7),
                                              round(shift.start_lon, 7))
        assert {a.mode for a in problem.assistants} == {"walk", "bike", "cargo_bike"}
        assert all(matrices["walk"].seconds[i][i] == 0 for i in range(len(day.points)))
