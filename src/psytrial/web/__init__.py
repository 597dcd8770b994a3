"""The Django project: models, action functions, views, the JSON API and exports."""
