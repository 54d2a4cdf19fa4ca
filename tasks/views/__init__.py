"""Pages of the tasks domain, one module per area; URL patterns live beside each in tasks/urls*.py."""
