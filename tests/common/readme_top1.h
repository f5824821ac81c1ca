// SPDX-License-Identifier: Apache-2.0
#pragma once
// The top-1 class per shared photo as ../shared/models/README.md lists it for each shared model
// (OpenCV 4.6 on the ONNX files, with the README's preprocessing). For the three MobileNets it is
// also the top-1 of the original uint8 TFLite models in Arm NN (the README checks that, 10/10),
// the reference labels the int8 tests reproduce.
#include <map>
#include <string>

namespace percept::testing {

inline const std::map<std::string, std::map<std::string, std::string>> kReadmeTop1 = {
    {"squeezenet1.1",
     {{"chelsea.png", "Egyptian cat"}, {"coffee.png", "espresso"}, {"rocket.jpg", "missile"}, {"cat_720p.jpg", "Egyptian cat"},
      {"hot_dog.jpg", "hotdog"}, {"parrot.jpg", "macaw"}, {"bird.png", "chickadee"}, {"dragonfly.png", "dragonfly"},
      {"grace_hopper.png", "bow tie"}, {"pelican.jpeg", "pelican"}}},
    {"mobilenet_v2_1.0_224",
     {{"chelsea.png", "tiger cat"}, {"coffee.png", "espresso"}, {"rocket.jpg", "missile"}, {"cat_720p.jpg", "Egyptian cat"},
      {"hot_dog.jpg", "hotdog"}, {"parrot.jpg", "macaw"}, {"bird.png", "chickadee"}, {"dragonfly.png", "dragonfly"},
      {"grace_hopper.png", "mortarboard"}, {"pelican.jpeg", "pelican"}}},
    {"mobilenet_v1_0.5_160",
     {{"chelsea.png", "Egyptian cat"}, {"coffee.png", "espresso"}, {"rocket.jpg", "obelisk"}, {"cat_720p.jpg", "Egyptian cat"},
      {"hot_dog.jpg", "hotdog"}, {"parrot.jpg", "macaw"}, {"bird.png", "chickadee"}, {"dragonfly.png", "dragonfly"},
      {"grace_hopper.png", "academic gown"}, {"pelican.jpeg", "pelican"}}},
    {"mobilenet_v1_0.25_128",
     {{"chelsea.png", "Egyptian cat"}, {"coffee.png", "espresso"}, {"rocket.jpg", "mosque"}, {"cat_720p.jpg", "Egyptian cat"},
      {"hot_dog.jpg", "burrito"}, {"parrot.jpg", "macaw"}, {"bird.png", "chickadee"}, {"dragonfly.png", "tiger beetle"},
      {"grace_hopper.png", "academic gown"}, {"pelican.jpeg", "paddle"}}},
};

}  // namespace percept::testing
