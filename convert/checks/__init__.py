"""Proofs about a converted model: parity with Paddle Inference, dictionary checks."""
