"""Trial models, one module per area; import them from here."""

from psytrial.web.trial.models.emergency import EmergencyUnblinding
from psytrial.web.trial.models.membership import Membership
from psytrial.web.trial.models.notification import Notification
from psytrial.web.trial.models.participant import Participant
from psytrial.web.trial.models.study import Site, Study

__all__ = ["EmergencyUnblinding", "Membership", "Notification", "Participant", "Site", "Study"]
