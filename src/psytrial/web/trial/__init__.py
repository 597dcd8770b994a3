"""The trial app: studies, sites, memberships (who has which role where), participants."""
