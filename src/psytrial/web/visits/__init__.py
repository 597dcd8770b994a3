"""Trial conduct after randomization: visits, the participant timeline, the site worklist,
the study dashboard, session safety, adverse events, withdrawal and loss to follow-up.

Visit states are derived, not stored: the protocol's schedule, the participant's anchor dates
(screening, randomization, the actual drug session) and the forms entered give each visit its
window and state on the clock's today (`schedule`). Only what a user decides is stored: a visit
marked missed with a reason (`MissedVisit`) and a serious adverse event marked as reported to
the sponsor (`ExpeditedReport`). Every change goes through `actions`.
"""
