"""web4_trainer: LoRA training for the web4 agent.

A job file in (``job.py``), JSON-lines events out (``events.py``), and an output folder holding
the PEFT adapter, the tokenizer, a servable merged model and ``manifest.json`` (``train.py``).
"""

__version__ = "0.1.0"
