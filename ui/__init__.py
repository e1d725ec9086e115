"""The Gradio chat front end: displays what qa returns."""
