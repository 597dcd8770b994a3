"""The unblinding app: emergency unblinding of one participant for one investigator.

The grant itself is `psytrial.web.trial.models.EmergencyUnblinding`, which
`psytrial.web.blind.capability` already honours; this app is the action that creates it,
and the pages and API that request it and show the arm to that investigator only.
"""
