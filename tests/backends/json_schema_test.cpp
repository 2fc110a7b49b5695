#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "backends/circuit_breaker.h"
#include "backends/json_schema.h"

namespace occam::backends {
namespace {

namespace json = boost::json;

struct Case {
  const char* instance;
  const char* error;  // expected error prefix; empty: valid
};

TEST(JsonSchema, ValidatesNestedObjects) {
  json::value schema = json::parse(R"({
    "type":"object",
    "properties":{
      "name":{"type":"string","minLength":2,"maxLength":5},
      "age":{"type":"integer","minimum":0,"maximum":150},
      "kind":{"enum":["a","b"]},
      "tags":{"type":"array","items":{"type":"string"},"maxItems":2},
      "address":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},
      "score":{"type":["number","null"],"exclusiveMinimum":0},
      "ref":{"$ref":"#/$defs/pos"},
      "either":{"anyOf":[{"type":"string"},{"type":"integer"}]}
    },
    "required":["name","age"],
    "$defs":{"pos":{"type":"number","minimum":1}}
  })");
  ASSERT_TRUE(check_schema(schema).ok());
  const Case cases[] = {
      {R"({"name":"bob","age":3})", ""},
      {R"({"name":"bob","age":3.0})", ""},
      {R"({"name":"bob","age":3,"kind":"b","tags":["x"],"address":{"city":"Lyon"},"score":null,"ref":2,"either":4})", ""},
      {R"({"name":"bob"})", "$: missing required property 'age'"},
      {R"({"name":"b","age":3})", "$.name: shorter than 2"},
      {R"({"name":"bobbyyy","age":3})", "$.name: longer than 5"},
      {R"({"name":"bob","age":3.5})", "$.age: expected integer, found number"},
      {R"({"name":"bob","age":-1})", "$.age: -1 is below the minimum 0"},
      {R"({"name":"bob","age":3,"kind":"c"})", "$.kind: \"c\" is not one of"},
      {R"({"name":"bob","age":3,"tags":["x",1]})", "$.tags[1]: expected string, found integer"},
      {R"({"name":"bob","age":3,"tags":["x","y","z"]})", "$.tags: more than 2 items"},
      {R"({"name":"bob","age":3,"address":{}})", "$.address: missing required property 'city'"},
      {R"({"name":"bob","age":3,"address":{"city":"x","zip":1}})", "$.address.zip: property not allowed"},
      {R"({"name":"bob","age":3,"score":0})", "$.score: 0 is not above 0"},
      {R"({"name":"bob","age":3,"ref":0.5})", "$.ref: 0.5 is below the minimum 1"},
      {R"({"name":"bob","age":3,"either":true})", "$.either: matches none of anyOf"},
      {R"([1])", "$: expected object, found array"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.instance);
    Status st = validate_json(json::parse(c.instance), schema);
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(st.ok()) << st.error().message();
    } else {
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.error().message().rfind(c.error, 0), 0u) << st.error().message();
    }
  }
}

TEST(JsonSchema, RefusesWhatItCannotHonour) {
  EXPECT_FALSE(check_schema(json::parse(R"({"type":"string","pattern":"^a"})")).ok());
  EXPECT_FALSE(check_schema(json::parse(R"({"type":"object","properties":{"a":{"if":{}}}})")).ok());
  EXPECT_FALSE(check_schema(json::parse(R"({"$ref":"https://example.com/s.json"})")).ok());
  EXPECT_FALSE(check_schema(json::parse(R"({"type":"strng"})")).ok());
  EXPECT_TRUE(check_schema(json::parse(R"({"type":"object","description":"d","title":"t","additionalProperties":false})")).ok());
  Status st = check_schema(json::parse(R"({"properties":{"a":{"pattern":"x"}}})"), "rf.schema");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "rf.schema.properties.a.pattern: keyword not supported");
}

TEST(JsonSchema, RecursiveRefIsBounded) {
  json::value schema = json::parse(R"({"$ref":"#"})");
  ASSERT_TRUE(check_schema(schema).ok());
  EXPECT_FALSE(validate_json(json::parse("1"), schema).ok());
}

TEST(CircuitBreaker, OpensHalfOpensAndCloses) {
  CircuitBreaker b(2, std::chrono::milliseconds(100));
  auto t = CircuitBreaker::Clock::now();
  EXPECT_TRUE(b.allow(t));
  b.record_failure(t);
  EXPECT_TRUE(b.allow(t));
  b.record_failure(t);
  EXPECT_FALSE(b.allow(t + std::chrono::milliseconds(50)));
  EXPECT_TRUE(b.allow(t + std::chrono::milliseconds(150)));   // the probe
  EXPECT_FALSE(b.allow(t + std::chrono::milliseconds(151)));  // only one probe at a time
  b.record_success();
  EXPECT_TRUE(b.allow(t + std::chrono::milliseconds(152)));
  EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
}

}  // namespace
}  // namespace occam::backends
