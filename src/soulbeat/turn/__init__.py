"""What happens in one beat: gates, context, prompt, model call, reply and outcome."""
