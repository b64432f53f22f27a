// module git
