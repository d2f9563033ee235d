def seed_residents(ctx):
    pass
