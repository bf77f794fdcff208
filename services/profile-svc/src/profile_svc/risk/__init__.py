"""The risk questionnaire (风险承受能力评估) and the C1-C5 suitability level."""
