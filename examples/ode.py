"""Damped pendulums run for 1000 explicit Euler steps, fitted to target angles."""

import numpy as np


def loss(angle0, velocity0, damping, target, steps=1000, dt=0.01):
    angle, velocity = angle0, velocity0
    for _ in range(steps):
        acceleration = -np.sin(angle) - damping * velocity
        angle = angle + dt * velocity
        velocity = velocity + dt * acceleration
    return np.mean((angle - target) ** 2)


def example(n=5):
    rng = np.random.default_rng(5)
    angle0 = rng.uniform(-1.0, 1.0, size=n)
    velocity0 = rng.normal(size=n)
    target = rng.uniform(-0.5, 0.5, size=n)
    return angle0, velocity0, 0.3, target
