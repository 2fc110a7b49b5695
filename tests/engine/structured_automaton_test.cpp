// Structured output: the schema automaton on byte strings (accept / reject), compile errors with their
// schema path, the validator, and the forced tool-call schema.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/structured_output.h"

namespace occam::engine::structured {
namespace {

namespace json = boost::json;

std::shared_ptr<const Grammar> compiled(std::string_view schema, const Limits& limits = {}) {
  auto g = compile_schema(json::parse(schema), limits);
  EXPECT_TRUE(g.ok()) << schema << ": " << (g.ok() ? "" : g.error().message());
  return g.ok() ? *g : nullptr;
}

// 'C': accepted and complete; 'P': accepted prefix, not complete; 'R': rejected.
struct Case {
  const char* schema;
  const char* text;
  char expect;
};

const Case kCases[] = {
    {R"({"type":"string"})", R"("abc")", 'C'},
    {R"({"type":"string"})", R"("ab)", 'P'},
    {R"({"type":"string"})", R"("a" )", 'R'},
    {R"({"type":"string"})", R"( "a")", 'R'},
    {R"({"type":"string","maxLength":3})", R"("abc")", 'C'},
    {R"({"type":"string","maxLength":3})", R"("abcd")", 'R'},
    {R"({"type":"string","minLength":2})", R"("a")", 'R'},
    {R"({"type":"string","maxLength":2})", "\"\xC3\xA9\xE2\x82\xAC\"", 'C'},  // é€: 2 code points
    {R"({"type":"string","maxLength":1})", "\"\xC3\xA9\xE2\x82\xAC\"", 'R'},
    {R"({"type":"string"})", "\"\xC3\x28\"", 'R'},      // invalid UTF-8
    {R"({"type":"string"})", "\"\xED\xA0\x80\"", 'R'},  // surrogate
    {R"({"type":"string"})", "\"a\nb\"", 'R'},          // raw control
    {R"({"type":"string"})", R"("a\nb\"\\\u00e9")", 'C'},
    {R"({"type":"string"})", R"("\ud800")", 'R'},
    {R"({"type":"string"})", R"("\x")", 'R'},
    {R"({"type":"integer"})", "0", 'C'},
    {R"({"type":"integer"})", "-12", 'C'},
    {R"({"type":"integer"})", "012", 'R'},
    {R"({"type":"integer"})", "1.5", 'R'},
    {R"({"type":"integer"})", "-", 'P'},
    {R"({"type":"integer","minimum":10,"maximum":20})", "15", 'C'},
    {R"({"type":"integer","minimum":10,"maximum":20})", "1", 'P'},
    {R"({"type":"integer","minimum":10,"maximum":20})", "21", 'R'},
    {R"({"type":"integer","minimum":10,"maximum":20})", "3", 'R'},
    {R"({"type":"integer","minimum":10,"maximum":20})", "-", 'R'},
    {R"({"type":"integer","minimum":-5,"maximum":-2})", "-3", 'C'},
    {R"({"type":"integer","minimum":-5,"maximum":-2})", "-1", 'R'},
    {R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":3})", "0", 'R'},
    {R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":3})", "2", 'C'},
    {R"({"type":"number"})", "-0.25", 'C'},
    {R"({"type":"number"})", "1.", 'P'},
    {R"({"type":"number"})", "1e5", 'R'},
    {R"({"type":"number","minimum":0.5,"maximum":1})", "0.5", 'C'},
    {R"({"type":"number","minimum":0.5,"maximum":1})", "0.4", 'R'},
    {R"({"type":"number","minimum":0.5,"maximum":1})", "1.0", 'C'},
    {R"({"type":"number","minimum":0.5,"maximum":1})", "1.01", 'R'},
    {R"({"type":"number","exclusiveMaximum":1,"minimum":0})", "1", 'R'},
    {R"({"type":"number","exclusiveMaximum":1,"minimum":0})", "0.999999", 'C'},
    {R"({"type":"boolean"})", "true", 'C'},
    {R"({"type":"boolean"})", "tru", 'P'},
    {R"({"type":"boolean"})", "null", 'R'},
    {R"({"type":"null"})", "null", 'C'},
    {R"({"type":["string","null"]})", "null", 'C'},
    {R"({"type":["string","null"]})", R"("x")", 'C'},
    {R"({"type":"string","nullable":true})", "null", 'C'},
    {R"({"enum":["red","green",3,null,{"a":[1]}]})", R"("green")", 'C'},
    {R"({"enum":["red","green",3,null,{"a":[1]}]})", R"({"a":[1]})", 'C'},
    {R"({"enum":["red","green",3,null,{"a":[1]}]})", R"("blue")", 'R'},
    {R"({"enum":[1,12]})", "1", 'C'},
    {R"({"enum":[1,12]})", "12", 'C'},
    {R"({"type":"string","enum":["a",1]})", "1", 'R'},  // the enum value the type excludes
    {R"({"const":"x"})", R"("x")", 'C'},
    {R"({"type":"array","items":{"type":"integer"}})", "[]", 'C'},
    {R"({"type":"array","items":{"type":"integer"}})", "[1,22,-3]", 'C'},
    {R"({"type":"array","items":{"type":"integer"}})", "[1,]", 'R'},
    {R"({"type":"array","items":{"type":"integer"}})", "[1, 2]", 'R'},
    {R"({"type":"array","items":{"type":"integer"},"minItems":2})", "[1]", 'R'},
    {R"({"type":"array","items":{"type":"integer"},"maxItems":2})", "[1,2,3]", 'R'},
    {R"({"type":"array","items":{"type":"integer"},"maxItems":2})", "[1,2]", 'C'},
    {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]})",
     R"({"a":1,"b":"x"})", 'C'},
    {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]})",
     R"({"b":"x"})", 'C'},
    {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]})",
     R"({"a":1})", 'R'},
    {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]})",
     R"({"b":"x","a":1})", 'R'},  // schema order
    {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}}})", "{}", 'C'},
    {R"({"type":"object","properties":{"ab":{"type":"integer"},"a":{"type":"integer"}}})", R"({"a":1})", 'C'},
    {R"({"type":"object","properties":{"ab":{"type":"integer"},"a":{"type":"integer"}}})",
     R"({"ab":1,"a":2})", 'C'},
    {R"({"type":"object","properties":{"ab":{"type":"integer"},"a":{"type":"integer"}}})",
     R"({"a":1,"ab":2})", 'R'},
    {R"({"type":"object","properties":{"q\"k":{"type":"integer"}}})", R"({"q\"k":1})", 'C'},
    {R"({"type":"object"})", R"({"x":{"y":[1,"z",null]},"w":true})", 'C'},
    {R"({"type":"object","additionalProperties":false})", "{}", 'C'},
    {R"({"type":"object","additionalProperties":false})", R"({"a":1})", 'R'},
    {R"({"type":"object","additionalProperties":{"type":"integer"}})", R"({"a":1,"b":2})", 'C'},
    {R"({"type":"object","additionalProperties":{"type":"integer"}})", R"({"a":"1"})", 'R'},
    {R"({"anyOf":[{"type":"object","properties":{"k":{"const":1},"a":{"type":"string"}},"required":["k"]},
                  {"type":"object","properties":{"k":{"const":2},"b":{"type":"integer"}},"required":["k"]}]})",
     R"({"k":2,"b":5})", 'C'},
    {R"({"anyOf":[{"type":"object","properties":{"k":{"const":1},"a":{"type":"string"}},"required":["k"]},
                  {"type":"object","properties":{"k":{"const":2},"b":{"type":"integer"}},"required":["k"]}]})",
     R"({"k":1,"b":5})", 'R'},
    {R"({"oneOf":[{"type":"string"},{"type":"integer"}]})", "7", 'C'},
    {R"({"$defs":{"p":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},
         "type":"array","items":{"$ref":"#/$defs/p"}})",
     R"([{"x":1.5},{"x":-2}])", 'C'},
    {R"({"definitions":{"s":{"type":"string","maxLength":1}},"properties":{"a":{"$ref":"#/definitions/s"}}})",
     R"({"a":"xy"})", 'R'},
    {R"(true)", R"([1,{"a":"b"}])", 'C'},
    {R"({})", "-1.5", 'C'},
};

TEST(StructuredAutomaton, AcceptsAndRejectsByteStrings) {
  for (const Case& c : kCases) {
    auto g = compiled(c.schema);
    ASSERT_NE(g, nullptr);
    Matcher m(g);
    const bool accepted = m.advance(c.text);
    const char got = !accepted ? 'R' : m.complete() ? 'C' : 'P';
    EXPECT_EQ(got, c.expect) << "schema " << c.schema << "\ntext " << c.text;
    if (got == 'C') {  // whatever the automaton completes must parse and validate
      boost::system::error_code ec;
      const json::value v = json::parse(c.text, ec);
      ASSERT_FALSE(ec) << c.text;
      const Status s = validate(v, json::parse(c.schema));
      EXPECT_TRUE(s.ok()) << c.text << ": " << s.error().message();
    }
  }
}

TEST(StructuredAutomaton, RejectedBytesLeaveTheStateUnchanged) {
  auto g = compiled(R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})");
  Matcher m(g);
  ASSERT_TRUE(m.advance(R"({"a":1)"));
  EXPECT_FALSE(m.advance("x"));
  EXPECT_FALSE(m.advance("}x"));
  EXPECT_TRUE(m.advance("2}"));
  EXPECT_TRUE(m.complete());
  EXPECT_FALSE(m.can_continue());
}

TEST(StructuredAutomaton, DefaultCapsBoundTheAnswer) {
  Limits limits;
  limits.max_string_chars = 4;
  limits.max_items = 2;
  auto g = compiled(R"({"type":"array","items":{"type":"string"}})", limits);
  Matcher m(g);
  EXPECT_TRUE(m.advance(R"(["abcd","ef")"));
  EXPECT_FALSE(m.advance(","));
  EXPECT_FALSE(Matcher(g).advance(R"(["abcde")"));
  EXPECT_LE(max_bytes(*g), 2u + 2u * (2u + 6u * 4u + 1u));
  auto object = json_object_grammar(limits);
  ASSERT_NE(object, nullptr);
  Matcher o(object);
  EXPECT_FALSE(o.advance("[]"));
  EXPECT_TRUE(o.advance(R"({"a":[[1]]})"));
  EXPECT_TRUE(o.complete());
}

struct ErrorCase {
  const char* schema;
  const char* message;  // a substring of the error
};

const ErrorCase kErrors[] = {
    {R"({"type":"string","pattern":"^a"})", "schema.pattern: keyword not supported"},
    {R"({"type":"string","format":"email"})", "schema.format: keyword not supported"},
    {R"({"properties":{"a":{"type":"number","multipleOf":2}}})", "schema.properties.a.multipleOf"},
    {R"({"type":"array","items":[{"type":"string"}]})", "schema.items: tuple items"},
    {R"({"allOf":[{"type":"string"}]})", "schema.allOf"},
    {R"({"patternProperties":{"a":{}}})", "schema.patternProperties"},
    {R"({"$defs":{"n":{"type":"object","properties":{"next":{"$ref":"#/$defs/n"}}}},"$ref":"#/$defs/n"})",
     "recursive $ref"},
    {R"({"$ref":"#/$defs/missing"})", "schema.$ref: unresolvable"},
    {R"({"$ref":"http://x/y"})", "unresolvable"},
    {R"({"oneOf":[{"type":"string"},{"type":"string","maxLength":2}]})",
     "schema.oneOf[1]: oneOf alternatives"},
    {R"({"type":"string","minLength":5,"maxLength":2})", "minLength above maxLength"},
    {R"({"type":"integer","minimum":5,"maximum":2})", "no number"},
    {R"({"type":"integer","minimum":1e20})", "minimum beyond"},
    {R"({"type":"string","enum":[1,2]})", "no enum / const value"},
    {R"({"type":"frob"})", "schema.type: unknown type 'frob'"},
    {R"(false)", "schema false"},
    {R"({"type":"object","required":["a"],"additionalProperties":false})", "schema.required: 'a'"},
    {R"({"anyOf":[]})", "schema.anyOf: expected a non-empty array"},
    {R"({"type":"object","properties":{"a":{"type":"array","uniqueItems":true}}})",
     "schema.properties.a.uniqueItems"},
};

TEST(StructuredAutomaton, UnsupportedFeaturesAreErrorsNamingThePath) {
  for (const ErrorCase& c : kErrors) {
    auto g = compile_schema(json::parse(c.schema));
    ASSERT_FALSE(g.ok()) << c.schema;
    EXPECT_NE(g.error().message().find(c.message), std::string::npos)
        << c.schema << "\n got: " << g.error().message() << "\n want: " << c.message;
  }
  auto deep = compile_schema(json::parse(R"({"type":"string","pattern":"x"})"), {},
                             "response_format.json_schema.schema");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message(),
            "response_format.json_schema.schema.pattern: keyword not supported by structured output");
}

TEST(StructuredAutomaton, FanOutOfRefsIsBounded) {
  // Each level uses the next one twice: 2^40 expansions if nothing stopped it.
  json::object defs;
  for (int i = 0; i < 40; ++i) {
    defs[fmt::format("d{}", i)] = json::parse(fmt::format(
        R"({{"type":"object","properties":{{"a":{{"$ref":"#/$defs/d{0}"}},"b":{{"$ref":"#/$defs/d{0}"}}}}}})",
        i + 1));
  }
  defs["d40"] = json::parse(R"({"type":"integer"})");
  json::value schema = {{"$defs", defs}, {"$ref", "#/$defs/d0"}};
  auto g = compile_schema(schema);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message().find("nodes"), std::string::npos) << g.error().message();
}

TEST(StructuredValidate, NamesTheInstancePath) {
  const json::value schema = json::parse(
      R"({"type":"object","properties":{"items":{"type":"array","items":{"type":"object",
          "properties":{"name":{"type":"string"}},"required":["name"]}}},"additionalProperties":false})");
  EXPECT_TRUE(validate(json::parse(R"({"items":[{"name":"a"}]})"), schema).ok());
  Status s = validate(json::parse(R"({"items":[{"name":"a"},{"name":3}]})"), schema);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "$.items[1].name: expected \"string\", found integer");
  s = validate(json::parse(R"({"extra":1})"), schema);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "$.extra: property not allowed");
  EXPECT_FALSE(
      validate(json::parse("2"), json::parse(R"({"oneOf":[{"type":"integer"},{"type":"number"}]})")).ok());
  EXPECT_TRUE(
      validate(json::parse("2.5"), json::parse(R"({"oneOf":[{"type":"integer"},{"type":"number"}]})")).ok());
  EXPECT_TRUE(validate(json::parse("2.0"), json::parse(R"({"type":"integer","enum":[2]})")).ok());
  EXPECT_FALSE(validate(json::parse(R"("\u00e9\u00e9\u00e9")"), json::parse(R"({"maxLength":2})")).ok());
}

TEST(StructuredToolCall, SchemaForcesNameAndArguments) {
  const json::value tools = json::parse(R"([
    {"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
      "properties":{"city":{"$ref":"#/$defs/city"}},"required":["city"],"additionalProperties":false,
      "$defs":{"city":{"type":"string","maxLength":20}}}}},
    {"type":"function","function":{"name":"now"}}])");
  auto any = tool_call_schema(tools);
  ASSERT_TRUE(any.ok()) << any.error().message();
  auto g = compile_schema(*any);
  ASSERT_TRUE(g.ok()) << g.error().message();
  for (const char* text :
       {R"({"name":"get_weather","arguments":{"city":"Lyon"}})", R"({"name":"now","arguments":{}})"}) {
    Matcher m(*g);
    EXPECT_TRUE(m.advance(text) && m.complete()) << text;
    EXPECT_TRUE(validate(json::parse(text), *any).ok()) << text;
  }
  Matcher wrong(*g);
  EXPECT_FALSE(wrong.advance(R"({"name":"now","arguments":{"city")"));
  auto named = tool_call_schema(tools, "now");
  ASSERT_TRUE(named.ok());
  auto gn = compile_schema(*named);
  ASSERT_TRUE(gn.ok());
  EXPECT_FALSE(Matcher(*gn).advance(R"({"name":"get)"));
  auto missing = tool_call_schema(tools, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  EXPECT_FALSE(tool_call_schema(json::parse(R"([{"type":"function","function":{}}])")).ok());
}

}  // namespace
}  // namespace occam::engine::structured
