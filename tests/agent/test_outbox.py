"""The outbox keeps undelivered results on disk, in order, across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from vantage.agent.client import Delivery
from vantage.agent.outbox import Outbox, OutboxLocked


def delivery(n: int) -> Delivery:
    return Delivery(f"job-{n}", f"agent/{n}", {"n": n, "hasFailures": False})


def test_results_come_out_in_the_order_they_went_in(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append([delivery(1), delivery(2)])
    outbox.append([delivery(3)])
    assert [d.job_id for _, d in outbox.peek(10)] == ["job-1", "job-2", "job-3"]
    assert [d.job_id for _, d in outbox.peek(2)] == ["job-1", "job-2"]
    assert outbox.peek(1)[0][1] == delivery(1)
    outbox.close()


def test_results_survive_a_restart_and_new_ones_queue_behind_them(tmp_path: Path) -> None:
    first = Outbox(tmp_path)
    first.append([delivery(1), delivery(2)])
    first.close()

    second = Outbox(tmp_path)
    assert len(second) == 2
    second.append([delivery(3)])
    delivered = second.peek(1)
    second.remove([path for path, _ in delivered])
    second.close()

    third = Outbox(tmp_path)
    assert [d.job_id for _, d in third.peek(10)] == ["job-2", "job-3"]
    third.close()


def test_a_half_written_file_from_a_crash_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".0000000000000001.json.tmp").write_bytes(b'{"jobId": "jo')
    outbox = Outbox(tmp_path)
    assert len(outbox) == 0
    assert not list(tmp_path.glob("*.tmp"))
    outbox.close()


def test_an_unreadable_file_is_set_aside_instead_of_blocking_the_rest(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append([delivery(1), delivery(2)])
    first = sorted(tmp_path.glob("*.json"))[0]
    first.write_bytes(b"not json")
    assert [d.job_id for _, d in outbox.peek(10)] == ["job-2"]
    assert first.with_suffix(".corrupt").exists()
    outbox.close()


def test_two_agents_cannot_share_one_outbox(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    with pytest.raises(OutboxLocked):
        Outbox(tmp_path)
    outbox.close()
    Outbox(tmp_path).close()


def test_nothing_is_left_behind_once_everything_is_delivered(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append([delivery(n) for n in range(5)])
    outbox.remove([path for path, _ in outbox.peek(10)])
    assert len(outbox) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]
    outbox.close()


def test_the_default_outbox_directory_is_left_out_of_git() -> None:
    from vantage.agent.remote import outbox_directory
    from vantage.config import AgentSettings

    settings = AgentSettings(server="http://vantage.test", location="edge", key="k", outbox=None)
    default = outbox_directory(settings)
    ignored = (Path(__file__).parents[2] / ".gitignore").read_text().splitlines()
    assert f"/{default.parts[0]}/" in ignored
