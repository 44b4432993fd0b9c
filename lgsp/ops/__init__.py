"""Operators' tools: dead letters (list, show, replay, discard) and their keeper."""

from lgsp.ops.dead_letters import DeadLetterKeeper, DeadLetters, NotDead

__all__ = ["DeadLetterKeeper", "DeadLetters", "NotDead"]
