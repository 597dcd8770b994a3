"""The pharmacy app: blinded dose preparation, the second-person check, and administration.

The unblinded pharmacist makes up each participant's injection from the sealed allocation
(`psytrial.core.dosing.prepare`); a second pharmacist checks it; the blind session clinician
administers it by kit code and volume, which are the same for every arm.
"""
