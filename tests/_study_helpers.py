"""A small study shared by tests/test_study.py (importable by Dask's spawned workers)."""

SPEC = {
    "surface": {"name": "strict_saddle", "dim": 2},
    "axes": {"optimizer": ["gd", "adam"], "lr": [0.01, 0.05], "noise": [0.0, 0.01]},
    "starts": {"kind": "ball", "center": 0.0, "radius": 0.001, "seed": 3},
    "run": {"steps": 150, "trajectories": 600, "chunk": 600},
    "events": {"escaped": {"kind": "leave_ball", "center": 0.0, "radius": 0.5}},
}


def spec(**run):
    import copy

    s = copy.deepcopy(SPEC)
    s["run"].update(run)
    return s
