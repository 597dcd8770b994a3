"""Helpers of the blinding-leak sweep (tests/web/test_blinding_sweep.py); no tests here.

    factory     `build_world(mirror=...)`: a study with a pair of participants (one per arm)
                at every stage, built through the action functions only; the mirror world is
                the same study with every allocation swapped
    surfaces    the explicit classification of every URL pattern and API operation: how to
                fill its parameters, which blinded roles reach it
    leaks       what a blinded response must never contain (arm labels and ids, the mg and
                millilitres of the sealed preparation, arm-revealing instruments for raters)
    normalize   responses made comparable (CSRF tokens, digests, codes and ids)
    visit       requests a surface as a role and returns a normalized `Observation`

The idea of the mirror: a blinded user's every response must be a function of the data a
blinded user may know. Two worlds that differ ONLY in the allocation (every participant in the
other arm, and a seal key whose scrambled group labels swap too) must therefore answer every
request identically, byte for byte after removing CSRF tokens and digests.
"""
