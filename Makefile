# A thin convenience layer for those who have make: every target is ./build.sh TARGET.
.PHONY: all demo test asan bench build clean
all: build
demo test asan bench build clean:
	./build.sh $@
