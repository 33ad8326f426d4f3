"""Rasa project files (domain, endpoints) and the custom actions the Flask app serves."""
