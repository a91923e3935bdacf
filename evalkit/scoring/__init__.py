"""Scoring: profiles, the rules per indicator, reviewer decisions."""
