def on_action_finished(ctx, kind, name, run_id):
    pass
