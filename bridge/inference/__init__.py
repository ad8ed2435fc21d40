"""Runtime inference: ONNX models on onnxruntime behind the FaceModels protocol."""
