"""Trading-day reminders: IPO subscription, allotment and listing; warrant exercise."""
