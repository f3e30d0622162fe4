// A map that keeps at most `capacity` keys and forgets the oldest inserted
// first: caches of what a host has a few hundred of (cgroups, mount
// namespaces), bounded against a storm of them. A forgotten key is read
// again when next asked for: nothing is lost but the work.
#pragma once

#include <cstddef>
#include <deque>
#include <map>

namespace hupwatch {

template <typename Key, typename Value>
class BoundedCache {
   public:
    explicit BoundedCache(std::size_t capacity) : capacity_(capacity) {}

    const Value* find(const Key& key) const {
        auto it = map_.find(key);
        return it == map_.end() ? nullptr : &it->second;
    }
    Value* find(const Key& key) {
        auto it = map_.find(key);
        return it == map_.end() ? nullptr : &it->second;
    }
    // The value at key; a default one inserted when absent, the oldest key
    // forgotten first when full.
    Value& obtain(const Key& key) {
        if (Value* found = find(key)) return *found;
        if (capacity_ > 0 && map_.size() >= capacity_) {
            map_.erase(order_.front());
            order_.pop_front();
        }
        order_.push_back(key);
        return map_[key];
    }
    std::size_t size() const { return map_.size(); }

   private:
    std::size_t capacity_;
    std::map<Key, Value> map_;
    std::deque<Key> order_;  // oldest first
};

}  // namespace hupwatch
