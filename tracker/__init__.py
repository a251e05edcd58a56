"""tracker: what in our Kubernetes clusters is out of date, and how badly?"""

__version__ = "0.1.0"
