# A thin convenience layer for those who have make: every target is ./build.sh TARGET.
.PHONY: all demo test asan bench build fuzz clean
all: build
demo test asan bench build fuzz clean:
	./build.sh $@
