"""The CRM contact log (CRM 记录): service contacts staff record."""
