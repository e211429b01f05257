"""The audio layer: rendering scores through FluidSynth, audio files, levels. No TensorFlow here."""
