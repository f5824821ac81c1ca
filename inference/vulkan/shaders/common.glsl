// Shared by every shader: the storage type of tensors and the fused activations.
//
// Each .comp is compiled twice (see ../CMakeLists.txt): with FP16 defined, tensors in storage
// buffers are float16_t (VK_KHR_16bit_storage) and every value is widened to fp32 on load, so
// the arithmetic stays fp32; without it they are plain floats.
#extension GL_EXT_control_flow_attributes : enable
#ifdef FP16
#extension GL_EXT_shader_16bit_storage : require
#define sfloat float16_t
#define svec4 f16vec4
#else
#define sfloat float
#define svec4 vec4
#endif

// Activation codes (vk_ops.cpp activationCode): 0 none, 1 Relu, 2 Clip [a, b],
// 3 LeakyRelu (slope a), 4 Sigmoid. `kind` is a specialisation constant in every caller, so
// the driver folds the branches away.
float activate(uint kind, float v, float a, float b) {
    if (kind == 1u) return max(v, 0.0);
    if (kind == 2u) return min(max(v, a), b);
    if (kind == 3u) return v < 0.0 ? v * a : v;
    if (kind == 4u) return 1.0 / (1.0 + exp(-v));
    return v;
}
vec4 activate4(uint kind, vec4 v, float a, float b) {
    if (kind == 1u) return max(v, vec4(0.0));
    if (kind == 2u) return min(max(v, vec4(a)), vec4(b));
    if (kind == 3u) return mix(v, v * a, lessThan(v, vec4(0.0)));
    if (kind == 4u) return 1.0 / (1.0 + exp(-v));
    return v;
}
