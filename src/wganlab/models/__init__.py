"""Generator and critic networks."""
