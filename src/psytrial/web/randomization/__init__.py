"""Randomization: the sealed allocation list (generated or uploaded once per study by the
randomization statistician, its commitment public to every member) and `randomize`, which
gives a ready participant the next free slot of their stratum."""
