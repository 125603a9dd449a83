// The handles of pipelines/GstPtr.h: what they own goes back exactly once.
#include "pipelines/GstPtr.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <utility>

#include "pipelines/GstInit.h"

namespace ceremony::media {
namespace {

class GstHandles : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initGStreamer().empty()); }
};

int sinkPads(GstElement* e) {
  return static_cast<int>(e->numsinkpads);
}

// Whether a weak reference saw the object finalised.
struct Gone {
  bool gone = false;
  static void notify(gpointer data, GObject*) { static_cast<Gone*>(data)->gone = true; }
  void watch(gpointer object) { g_object_weak_ref(G_OBJECT(object), &Gone::notify, this); }
};

TEST_F(GstHandles, ARequestPadGoesBackToItsMixerWhenItsHolderGoes) {
  GstPtr<GstElement> mixer(
      GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("audiomixer", nullptr))));
  ASSERT_TRUE(mixer);
  {
    RequestPad a(mixer.get(), "sink_%u");
    RequestPad b(mixer.get(), "sink_%u");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(sinkPads(mixer.get()), 2);
    RequestPad moved = std::move(a);  // one holder, one release
    EXPECT_FALSE(a);
    EXPECT_EQ(sinkPads(mixer.get()), 2);
    b.reset();
    EXPECT_EQ(sinkPads(mixer.get()), 1);
    moved = RequestPad(mixer.get(), "sink_%u");  // the old pad goes as a new one comes
    EXPECT_EQ(sinkPads(mixer.get()), 1);
  }
  EXPECT_EQ(sinkPads(mixer.get()), 0);
}

TEST_F(GstHandles, ARequestPadKeepsItsElementAliveUntilItIsReleased) {
  GstElement* mixer = gst_element_factory_make("audiomixer", nullptr);
  Gone watch;
  watch.watch(mixer);
  RequestPad pad(mixer, "sink_%u");
  dropFloating(mixer);  // its bin went away first
  EXPECT_FALSE(watch.gone);
  pad.reset();
  EXPECT_TRUE(watch.gone);
}

TEST_F(GstHandles, AChainWithAMissingElementLeavesNothingBehind) {
  GstElement* a = gst_element_factory_make("identity", nullptr);
  GstElement* b = gst_element_factory_make("queue", nullptr);
  Gone ga, gb;
  ga.watch(a);
  gb.watch(b);
  EXPECT_FALSE(allMadeOrDropped({a, nullptr, b}));
  EXPECT_TRUE(ga.gone);
  EXPECT_TRUE(gb.gone);

  GstElement* c = gst_element_factory_make("identity", nullptr);
  Gone gc;
  gc.watch(c);
  EXPECT_TRUE(allMadeOrDropped({c}));
  EXPECT_FALSE(gc.gone);
  dropFloating(c);
  EXPECT_TRUE(gc.gone);
}

TEST_F(GstHandles, ABinBeingBuiltIsGoneOnAnErrorPathAndHandedOnOtherwise) {
  Gone dropped, kept;
  {
    GstFloatingPtr bin(gst_bin_new("fails"));
    dropped.watch(bin.get());
  }
  EXPECT_TRUE(dropped.gone);
  GstElement* handed = nullptr;
  {
    GstFloatingPtr bin(gst_bin_new("works"));
    kept.watch(bin.get());
    handed = bin.release();
  }
  EXPECT_FALSE(kept.gone);
  EXPECT_TRUE(g_object_is_floating(handed)) << "the caller's bin takes it as a new element";
  dropFloating(handed);
  EXPECT_TRUE(kept.gone);
}

TEST_F(GstHandles, ABusErrorIsReadWithItsDebugTextAndFreed) {
  GstPtr<GstElement> element(
      GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("identity", "src-x"))));
  GErrorBox error;
  *error.out() = g_error_new_literal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
                                     "Could not open resource");
  GstMiniPtr<GstMessage> msg(gst_message_new_error(
      GST_OBJECT(element.get()), const_cast<GError*>(error.get()), "gstfilesrc.c(1): detail"));
  const BusProblem p = parseProblem(msg.get());
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error.message("?"), "Could not open resource");
  EXPECT_EQ(p.error.get()->code, GST_RESOURCE_ERROR_NOT_FOUND);
  EXPECT_EQ(p.debug, "gstfilesrc.c(1): detail");

  GstMiniPtr<GstMessage> warning(gst_message_new_warning(
      GST_OBJECT(element.get()), const_cast<GError*>(error.get()), nullptr));
  const BusProblem w = parseProblem(warning.get());
  EXPECT_EQ(w.error.message("?"), "Could not open resource");
  EXPECT_TRUE(w.debug.empty());

  GErrorBox none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.message("fallback"), "fallback");
}

}  // namespace
}  // namespace ceremony::media
